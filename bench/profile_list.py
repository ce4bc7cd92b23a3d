"""In-process timing (and optional profile) of one list page against the benchmark database.

Not a test. Uses the database `bench/run.py` seeded (`yayin_bench`), production settings as
the benchmark runs them, the Django test client and a real JWT of a seeded viewer, so the
time is the app's own Python and SQL: no gunicorn, no network, no queueing.

    .venv/bin/python bench/profile_list.py [--requests 200] [--profile] [--dump page.json]
    .venv/bin/python bench/profile_list.py --path /api/v1/live-stream/<id>

`--dump` writes the response's `data` (to check that an optimisation changed no byte of the
output); `--profile` prints the top of a cProfile run sorted by cumulative time.
"""

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--database", default="yayin_bench")
parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
parser.add_argument("--path", default="/api/v1/live-stream?limit=20")
parser.add_argument("--requests", type=int, default=200)
parser.add_argument("--profile", action="store_true")
parser.add_argument("--dump", type=Path)
parser.add_argument("--filter", help="only functions whose path matches this regex")
parser.add_argument("--sort", default="cumulative", help="cProfile sort key (tottime, ...)")
args = parser.parse_args()

os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-secret-key-not-for-production-0123456789abcdef",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"{args.postgres}/{args.database}",
        "REDIS_URL": args.redis,
        "API_THROTTLE_RATES": "user=1000000000/hour,anon=1000000000/hour",
        "DJANGO_MEDIA_ROOT": tempfile.mkdtemp(prefix="yayin-bench-media-"),
    }
)
sys.path.insert(0, str(ROOT))


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from users.models import User
    from users.sessions import tokens_for_user

    viewer = User.objects.filter(username="bench_viewer_0000").first()
    if viewer is None:
        raise SystemExit(f"{args.database} is not seeded: run bench/run.py once")
    token = tokens_for_user(user=viewer)["access_token"]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def get():
        response = client.get(args.path)
        assert response.status_code == 200, response.content[:500]
        return response

    for _ in range(10):  # warm-up: imports, connection, caches
        get()
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # (Django's query log is reset at each request start, so count with a wrapper.)
    with connection.execute_wrapper(count):
        response = get()
    if args.dump:
        args.dump.write_text(json.dumps(response.json()["data"], indent=1, sort_keys=True))

    timings = []
    profiler = cProfile.Profile() if args.profile else None
    for _ in range(args.requests):
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        get()
        if profiler:
            profiler.disable()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    print(
        f"{args.path}: {len(queries)} queries, {args.requests} requests, "
        f"median {statistics.median(timings):.2f} ms, "
        f"p90 {timings[int(len(timings) * 0.9)]:.2f} ms, min {timings[0]:.2f} ms"
    )
    if profiler:
        restrictions = [args.filter, 45] if args.filter else [45]
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(*restrictions)


if __name__ == "__main__":
    main()
