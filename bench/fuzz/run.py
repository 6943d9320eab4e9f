"""Long-run API fuzz (not in CI): schemathesis over every operation of /api/v2/openapi.json.

The test suite runs 30 examples per operation; this runs many more, bounded in time, against a
scratch PostgreSQL database (default ``vm_fuzz`` on 127.0.0.1, created if missing; override
with ``DATABASE_URL``), through the WSGI app with the demo organisation's API key. It prints a
markdown table (operation, examples, 4xx, 5xx) and writes ``results.json`` beside itself.

    .venv/bin/python bench/fuzz/run.py --examples 500 --minutes 20
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def scratch_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300, help="examples per operation")
    parser.add_argument("--minutes", type=float, default=15.0, help="stop starting new operations after this")
    args = parser.parse_args()

    url = os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vm_fuzz")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECURE", "0")  # plain http through the WSGI app: no HTTPS redirect
    os.environ.setdefault("MEDIA_ROOT", "/tmp/vm-fuzz-media")
    if url.startswith("postgres"):
        scratch_database(url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    from config.wsgi import application
    from voicemanager.core import demo
    from voicemanager.models import ApiKey

    d = demo.create_demo()
    key = d.api_key or ApiKey.issue(d.organisation, "fuzz")[1]
    schema = schemathesis.openapi.from_wsgi("/api/v2/openapi.json", application)
    deadline = time.monotonic() + args.minutes * 60
    counts: dict[str, Counter] = defaultdict(Counter)
    failures: list[dict] = []

    def call(case, label: str) -> None:
        response = case.call(headers={"x-api-key": key})
        counts[label]["examples"] += 1
        counts[label][f"{response.status_code // 100}xx"] += 1
        if response.status_code >= 500 and len(failures) < 50:
            failures.append({"operation": label, "status": response.status_code,
                             "body": str(case.body)[:300], "query": str(case.query)[:300]})

    def fuzz(operation, label: str) -> None:
        @settings(max_examples=args.examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            call(case, label)

        run()

    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if time.monotonic() > deadline:
            counts[label]["skipped (time)"] += 1
            continue
        fuzz(operation, label)

    print(f"API fuzz: {args.examples} examples per operation, database {url.split('@')[-1]}\n")
    print("| operation | examples | 2xx | 4xx | 5xx |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, c in sorted(counts.items()):
        print(f"| {label} | {c['examples']} | {c['2xx']} | {c['4xx']} | {c['5xx']} |")
    print(f"\nserver errors: {sum(c['5xx'] for c in counts.values())}")
    out = Path(__file__).with_name("results.json")
    out.write_text(json.dumps({"examples": args.examples, "counts": counts, "failures": failures}, indent=2))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
