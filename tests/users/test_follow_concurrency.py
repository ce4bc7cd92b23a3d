"""Counters stay equal to the real rows when follows and unfollows race (PostgreSQL only)."""

import contextlib
import random

import pytest

from config.api.errors import NotFound
from tests.factories import UserFactory
from tests.helpers import failures_of, run_together
from users import services
from users.models import Follow, User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def assert_counters_match_rows():
    for user in User.objects.all():
        assert user.followers_count == Follow.objects.filter(followee=user).count(), user
        assert user.following_count == Follow.objects.filter(follower=user).count(), user


def test_the_same_follow_sent_at_once_counts_once():
    follower, followee = UserFactory(), UserFactory()
    outcomes = []

    def follow():
        outcomes.append(services.follow_create(follower=follower, followee=followee))

    assert failures_of(run_together(*[follow] * 8)) == []

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

    assert failures_of(run_together(*[worker(plan) for plan in plans])) == []
    assert_counters_match_rows()


def test_mutual_follows_at_once_do_not_deadlock():
    first, second = UserFactory(), UserFactory()
    jobs = [
        lambda: services.follow_create(follower=first, followee=second),
        lambda: services.follow_create(follower=second, followee=first),
    ] * 4

    assert failures_of(run_together(*jobs)) == []
    assert Follow.objects.count() == 2
    assert_counters_match_rows()


@pytest.mark.parametrize("round_", range(3))
def test_deleting_an_account_while_its_follows_change_keeps_the_counters_right(round_):
    """user_delete against unfollows, follows and refollows of the same account at once:
    each Follow row is counted off exactly once, and no counter goes below zero (the CHECK
    would make that a 500)."""
    account = UserFactory()
    followers = [UserFactory() for _ in range(6)]
    followees = [UserFactory() for _ in range(6)]
    newcomers = [UserFactory() for _ in range(3)]
    for other in followers:
        services.follow_create(follower=other, followee=account)
    for other in followees:
        services.follow_create(follower=account, followee=other)

    def fresh():
        # Each request loads its own instance (a deleted instance loses its pk).
        return User.objects.get(pk=account.pk)

    def follow_newcomer(newcomer):
        def job():
            with contextlib.suppress(NotFound):  # the account was deleted first
                services.follow_create(follower=newcomer, followee=fresh())

        return job

    jobs = [lambda: services.user_delete(user=fresh())]
    jobs += [
        (lambda other=other: services.follow_delete(follower=other, followee=fresh()))
        for other in followers
    ]
    jobs += [
        (lambda other=other: services.follow_delete(follower=fresh(), followee=other))
        for other in followees
    ]
    jobs += [follow_newcomer(newcomer) for newcomer in newcomers]

    assert failures_of(run_together(*jobs)) == []
    assert not User.objects.filter(pk=account.pk).exists()
    assert not Follow.objects.exists()
    assert_counters_match_rows()
