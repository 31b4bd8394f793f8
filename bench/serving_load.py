"""Load test of the REST server on loopback: throughput and p50/p99 latency, with a version published mid-load.

    python bench/serving_load.py --model_base_path saved_models/NAME [--clients 8] [--seconds 20] [--batch 1] [--json out.json]

Starts ``python -m step_tf.serve`` on a free 127.0.0.1 port over a *copy* of
the base path (the original is not touched), sends one request shape (the
first ``--batch`` zero-centred gaits of the embedded data set, "instances"
format) from ``--clients`` keep-alive clients for ``--seconds``, and halfway
through publishes a new version (a copy of the newest one) and waits until the
server serves it. Prints the figures; exits 1 if any request failed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import shutil
import sys
import tempfile
import time
import urllib.request

from step_tf.data.synthetic import generate_gaits
from step_tf.serving.load import run_load, server_process
from step_tf.serving.versions import list_versions, publish


def main(argv=None) -> int:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--model_base_path", type=pathlib.Path, required=True)
    arguments.add_argument("--clients", type=int, default=8)
    arguments.add_argument("--seconds", type=float, default=20.0)
    arguments.add_argument("--batch", type=int, default=1, help="gaits per request")
    arguments.add_argument("--json", type=pathlib.Path, help="also write the figures here")
    args = arguments.parse_args(argv)
    versions = list_versions(args.model_base_path)
    if not versions:
        print(f"error: {args.model_base_path}: no published version to serve", file=sys.stderr)
        return 2
    name = args.model_base_path.resolve().name
    body = json.dumps({"instances": generate_gaits(num_gaits=max(args.batch, 4), seed=1).joints[: args.batch].tolist()}).encode()
    with tempfile.TemporaryDirectory() as scratch:
        base = pathlib.Path(scratch) / name
        shutil.copytree(args.model_base_path / str(versions[-1]), base / str(versions[-1]))
        with server_process(base, "--file_system_poll_wait_seconds", "0.5") as (url, _log):
            status_url = f"{url}/v1/models/{name}"
            published = {}

            def publish_midway():
                time.sleep(args.seconds / 2)
                started = time.perf_counter()
                version = publish(base, lambda folder: shutil.copytree(base / str(versions[-1]), folder, dirs_exist_ok=True))
                while json.loads(urllib.request.urlopen(status_url).read())["model_version_status"][0]["version"] != str(version):
                    time.sleep(0.05)
                published.update(version=version, seconds_to_serve=round(time.perf_counter() - started, 2))

            result = run_load(f"{url}/v1/models/{name}:predict", body, clients=args.clients, seconds=args.seconds, during=publish_midway)
    figures = {**dataclasses.asdict(result), "gaits_per_request": args.batch, "published_midway": published}
    print(
        f"{result.clients} clients, {result.seconds:.1f} s, {args.batch} gait(s) per request: {result.requests} requests, "
        f"{result.throughput:.1f} requests/s, p50 {result.latency_p50_ms:.1f} ms, p99 {result.latency_p99_ms:.1f} ms, "
        f"{result.errors} errors; version {published.get('version')} published midway, served after "
        f"{published.get('seconds_to_serve')} s"
    )
    if result.first_errors:
        print("first errors: " + " | ".join(result.first_errors))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if result.errors == 0 and published else 1


if __name__ == "__main__":
    sys.exit(main())
