"""What the benchmarks share: a gunicorn on loopback, and wrk against it (not a test)."""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-secret-key-not-for-production-0123456789abcdef"


def use_production_settings(*, database_url: str, redis_url: str, **extra: str) -> None:
    """The environment of a benchmark run: production settings on loopback, for this process
    and the gunicorn it starts."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": SECRET,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECURE_HSTS_SECONDS": "0",
            "DJANGO_LOG_LEVEL": "WARNING",
            # Sign-in codes are never sent in a benchmark; production would refuse the console.
            "ALLOW_CONSOLE_CODE_DELIVERY": "true",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            # The load comes from a handful of users; throttles would turn it into 429s.
            "API_THROTTLE_RATES": "user=1000000000/hour,anon=1000000000/hour",
            "DJANGO_MEDIA_ROOT": tempfile.mkdtemp(prefix="yayin-bench-media-"),
            **extra,
        }
    )
    sys.path.insert(0, str(ROOT))


# The ways to serve the app (deploy/README.md): REST only on sync workers, or REST and
# Socket.IO on uvicorn workers; `asgi-threads` is config.asgi with its HTTP requests on a
# fixed set of threads (config/asgi_threads.py), through a wrapper module made for the run.
# Under ASGI as Django serves it, every request opens a database connection of its own, and
# with CONN_MAX_AGE they stay open until PostgreSQL refuses more (bench/README.md): unless
# config.asgi already runs its requests on RequestThreads, `asgi` runs with
# DATABASE_CONN_MAX_AGE=0, which closes each one after its request.
_ASGI_HAS_REQUEST_THREADS = "RequestThreads" in (ROOT / "config" / "asgi.py").read_text()
SERVERS = {
    "wsgi": ("config.wsgi:application", "sync", {}),
    "asgi": (
        "config.asgi:application",
        "uvicorn_worker.UvicornWorker",
        {} if _ASGI_HAS_REQUEST_THREADS else {"DATABASE_CONN_MAX_AGE": "0"},
    ),
    "asgi-threads": ("bench_asgi_threads:application", "uvicorn_worker.UvicornWorker", {}),
}
ASGI_THREADS_MODULE = """from config.asgi import application as asgi_application
from config.asgi_threads import RequestThreads

application = RequestThreads(asgi_application, size={size})
"""


def start_gunicorn(
    *, workers: int, port: int = 0, server: str = "wsgi", threads: int = 4
) -> tuple[subprocess.Popen, int]:
    """gunicorn serving one of SERVERS (`threads`: the request threads of `asgi-threads`)
    with the environment as it is; returns it and its port once `/health/` answers. Fails
    loudly if `port` is taken: measuring somebody else's server would be worse."""
    app, worker_class, extra_env = SERVERS[server]
    env = {**os.environ, **extra_env}
    if server == "asgi-threads":
        wrapper = Path(tempfile.mkdtemp(prefix="yayin-bench-asgi-"))
        (wrapper / "bench_asgi_threads.py").write_text(ASGI_THREADS_MODULE.format(size=threads))
        env["PYTHONPATH"] = os.pathsep.join([str(wrapper), str(ROOT)])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            app,
            "--worker-class",
            worker_class,
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(100):
        if server.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=1) as answer:
                if answer.status == 200:
                    return server, port
        except OSError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGTERM)
    raise SystemExit("gunicorn did not come up")


def cpu_seconds(process_group: int) -> float:
    """User and system CPU time of the live processes of a process group (a gunicorn and its
    workers), from /proc: what the server spent, whatever else runs on the machine."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == process_group:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def to_ms(value: str) -> float:
    """wrk's durations (`812.00us`, `12.34ms`, `1.20s`, `2.00m`) in milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6}[unit]


def run_wrk(
    *,
    name: str,
    url: str,
    script: str | None,
    workdir: Path,
    threads: int,
    connections: int,
    duration: int,
) -> dict:
    """One wrk run; its raw report goes to bench/results/<name>.txt (git-ignored)."""
    slug = name.replace("/", "-")
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s"]
    # A slow answer is measured, not dropped at wrk's default 2 s.
    command += ["--latency", "--timeout", "30s"]
    if script:
        lua = workdir / f"{slug}.lua"
        lua.write_text(script)
        command += ["-s", str(lua)]
    command.append(url)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{slug}.txt").write_text(output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    timeouts = re.search(r"Socket errors: .*timeout (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": to_ms(re.search(r"^\s+50%\s+(\S+)\s*$", output, re.M).group(1)),
        "p99": to_ms(re.search(r"^\s+99%\s+(\S+)\s*$", output, re.M).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
    }
