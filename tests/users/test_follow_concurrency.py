"""Counters stay equal to the real rows when follows and unfollows race (PostgreSQL only)."""

import random
import threading

import pytest
from django.db import connection

from tests.factories import UserFactory
from users import services
from users.models import Follow, User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_in_threads(jobs) -> list[BaseException]:
    barrier = threading.Barrier(len(jobs))
    failures = []

    def run(job):
        try:
            barrier.wait()
            job()
        except BaseException as error:  # collected and asserted on below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def assert_counters_match_rows():
    for user in User.objects.all():
        assert user.followers_count == Follow.objects.filter(followee=user).count(), user
        assert user.following_count == Follow.objects.filter(follower=user).count(), user


def test_the_same_follow_sent_at_once_counts_once():
    follower, followee = UserFactory(), UserFactory()
    outcomes = []

    def follow():
        outcomes.append(services.follow_create(follower=follower, followee=followee))

    assert run_in_threads([follow] * 8) == []

    assert sorted(outcomes) == [False] + [True] * 7
    assert Follow.objects.count() == 1
    assert_counters_match_rows()


def test_random_follows_and_unfollows_keep_the_counters_right():
    users = [UserFactory() for _ in range(4)]
    rng = random.Random(20260522)
    plans = [
        [(rng.choice(users), rng.choice(users), rng.random() < 0.6) for _ in range(25)]
        for _ in range(8)
    ]

    def worker(plan):
        def job():
            for follower, followee, is_follow in plan:
                if follower.pk == followee.pk:
                    continue
                if is_follow:
                    services.follow_create(follower=follower, followee=followee)
                else:
                    services.follow_delete(follower=follower, followee=followee)

        return job

    assert run_in_threads([worker(plan) for plan in plans]) == []
    assert_counters_match_rows()


def test_mutual_follows_at_once_do_not_deadlock():
    first, second = UserFactory(), UserFactory()
    jobs = [
        lambda: services.follow_create(follower=first, followee=second),
        lambda: services.follow_create(follower=second, followee=first),
    ] * 4

    assert run_in_threads(jobs) == []
    assert Follow.objects.count() == 2
    assert_counters_match_rows()
