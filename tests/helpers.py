"""Assertions on the response envelope (contract section 0)."""

import re

TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
OBJECT_ID_RE = re.compile(r"^[0-9a-f]{24}$")

# Contract section 1: the keys of the PublicProfile and User shapes, exactly.
PUBLIC_PROFILE_KEYS = frozenset(
    {
        "_id", "name", "surname", "username", "availabilityStatus", "profilePhoto",
        "interests", "expertise", "age", "minutePriceInLiveStream", "followersCount",
        "followingCount", "bio", "instagram", "snapchat", "x", "tiktok", "facebook",
        "isFollowing",
    }
)  # fmt: skip
USER_KEYS = PUBLIC_PROFILE_KEYS | {
    "email", "countryCode", "phoneNumber", "birthDate", "gender", "signupSource",
    "signupCampaign", "creditBalance", "registrationCompleted", "privacyPolicyAccepted",
    "privacyPolicyVersion", "usernameChangedAt", "createdAt", "updatedAt",
}  # fmt: skip


def assert_success(response, status_code: int = 200):
    """Check the success envelope and return its `data`."""
    assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) == {"isSuccess", "statusCode", "data", "errors", "timestamp"}
    assert body["isSuccess"] is True
    assert body["statusCode"] == status_code
    assert body["errors"] == []
    assert TIMESTAMP_RE.match(body["timestamp"])
    return body["data"]


def assert_error(response, status_code: int, errors: list[str] | None = None) -> list[str]:
    """Check the error envelope (and the exact messages, when given); return the messages."""
    assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) == {"isSuccess", "statusCode", "data", "errors", "timestamp"}
    assert body["isSuccess"] is False
    assert body["statusCode"] == status_code
    assert body["data"] is None
    assert isinstance(body["errors"], list)
    assert body["errors"]
    assert all(isinstance(message, str) for message in body["errors"])
    assert TIMESTAMP_RE.match(body["timestamp"])
    if errors is not None:
        assert body["errors"] == errors
    return body["errors"]


def run_together(*calls) -> list:
    """Run each call in its own thread, all released at the same moment, each on its own
    database connection (the races only PostgreSQL can show). Returns, per call, what it
    returned or the exception it raised."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as error:  # handed back to the test, which asserts on it
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def failures_of(results: list) -> list[BaseException]:
    return [result for result in results if isinstance(result, BaseException)]
