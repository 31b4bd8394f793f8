"""Load test of the REST server on loopback: throughput and p50/p99 latency while versions appear mid-load.

    python bench/serving_load.py --model_base_path saved_models/NAME [--clients 4] [--seconds 15] [--batch 1]
        [--scenario publish|half_written|both] [--json out.json]

Starts ``python -m step_tf.serve`` on a free 127.0.0.1 port over a *copy* of
the base path (the original is not touched) and sends one request shape (the
first ``--batch`` gaits of the embedded data set, "instances" format) from
``--clients`` keep-alive clients for ``--seconds``, once per scenario:

* ``publish``: halfway through, a new version (a copy of the newest) is
  published atomically; the time until the server serves it is measured
  (it must be within ``MAX_SECONDS_TO_SERVE``);
* ``half_written``: at a third of the time a new version is copied in by hand
  (not atomically) and left with its ``saved_model.pb`` cut in half, as a copy in
  progress; at two thirds the copy completes. The half-written version must not
  cost a request, and the completed one must be served.

Prints the figures; exits 1 if any request failed or a version was not served in time.
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

from load_client import run_load, server_process
from step_tf.data.synthetic import generate_gaits
from step_tf.serving.versions import list_versions, publish

MAX_SECONDS_TO_SERVE = 2.0
SCENARIOS = ("publish", "half_written")


def _served_version(status_url: str) -> str:
    return json.loads(urllib.request.urlopen(status_url, timeout=10).read())["model_version_status"][0]["version"]


def _wait_until_served(status_url: str, version: int, timeout: float = 60.0) -> float | None:
    """Seconds until ``version`` is the newest served (``None``: not within ``timeout``)."""
    started = time.perf_counter()
    while _served_version(status_url) != str(version):
        if time.perf_counter() - started > timeout:
            return None
        time.sleep(0.02)
    return round(time.perf_counter() - started, 2)


def _publish_midway(base: pathlib.Path, source: pathlib.Path, status_url: str, seconds: float, events: dict):
    def during():
        time.sleep(seconds / 2)
        version = publish(base, lambda folder: shutil.copytree(source, folder, dirs_exist_ok=True))
        events.update(version=version, seconds_to_serve=_wait_until_served(status_url, version))
    return during


def _half_written_midway(base: pathlib.Path, source: pathlib.Path, status_url: str, seconds: float, events: dict):
    def during():
        time.sleep(seconds / 3)
        version = max(list_versions(base)) + 1
        target = base / str(version)
        shutil.copytree(source, target)  # by hand: visible under its final name while incomplete
        pb = target / "saved_model.pb"
        pb.write_bytes((source / "saved_model.pb").read_bytes()[: pb.stat().st_size // 2])
        events.update(version=version)
        time.sleep(seconds / 3)
        events["served_while_half_written"] = _served_version(status_url) == str(version)
        shutil.copyfile(source / "saved_model.pb", pb)  # the copy completes
        events["seconds_to_serve_once_complete"] = _wait_until_served(status_url, version)
    return during


def main(argv=None) -> int:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--model_base_path", type=pathlib.Path, required=True)
    arguments.add_argument("--clients", type=int, default=4)
    arguments.add_argument("--seconds", type=float, default=15.0)
    arguments.add_argument("--batch", type=int, default=1, help="gaits per request")
    arguments.add_argument("--scenario", choices=(*SCENARIOS, "both"), default="both")
    arguments.add_argument("--json", type=pathlib.Path, help="also write the figures here")
    args = arguments.parse_args(argv)
    versions = list_versions(args.model_base_path)
    if not versions:
        print(f"error: {args.model_base_path}: no published version to serve", file=sys.stderr)
        return 2
    name = args.model_base_path.resolve().name
    body = json.dumps({"instances": generate_gaits(num_gaits=max(args.batch, 4), seed=1).joints[: args.batch].tolist()}).encode()
    scenarios = SCENARIOS if args.scenario == "both" else (args.scenario,)
    figures, ok = {}, True
    for scenario in scenarios:
        with tempfile.TemporaryDirectory() as scratch:
            base = pathlib.Path(scratch) / name
            source = pathlib.Path(scratch) / "source"
            shutil.copytree(args.model_base_path / str(versions[-1]), source)
            shutil.copytree(source, base / str(versions[-1]))
            with server_process(base, "--file_system_poll_wait_seconds", "0.5") as (url, log):
                status_url = f"{url}/v1/models/{name}"
                events: dict = {}
                make_during = _publish_midway if scenario == "publish" else _half_written_midway
                result = run_load(f"{url}/v1/models/{name}:predict", body, clients=args.clients, seconds=args.seconds,
                                  during=make_during(base, source, status_url, args.seconds, events))
                events["server_log"] = [line for line in log if "version" in line]
        served = events.get("seconds_to_serve" if scenario == "publish" else "seconds_to_serve_once_complete")
        passed = result.errors == 0 and served is not None and (scenario != "publish" or served <= MAX_SECONDS_TO_SERVE)
        ok &= passed
        figures[scenario] = {**dataclasses.asdict(result), "gaits_per_request": args.batch, "events": events, "passed": passed}
        print(
            f"{scenario}: {result.clients} clients, {result.seconds:.1f} s, {args.batch} gait(s) per request: {result.requests} requests, "
            f"{result.throughput:.1f} requests/s, p50 {result.latency_p50_ms:.1f} ms, p99 {result.latency_p99_ms:.1f} ms, "
            f"{result.errors} failed; {json.dumps(events)}"
        )
        if result.first_errors:
            print("first errors: " + " | ".join(result.first_errors))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
