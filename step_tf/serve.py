"""``python -m step_tf.serve --model_base_path saved_models/NAME``: a TensorFlow Serving-compatible REST server.

Without ``--model_base_path`` it serves the model shipped with the package
(``step_tf.pretrained``, exported once into ``~/.cache/step_tf``) as ``step_embedded``.
Serves the newest version under the base path (and picks up new ones without a
restart) at ``http://127.0.0.1:8501/v1/models/NAME``. Options take TensorFlow
Serving's names, so a command line carries over; see ``step_tf.serving.server``.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from step_tf.cli import ERROR_STATUS, add_verbose_flag, quiet_tensorflow, reported_errors

# step_tf.serving.server's defaults, repeated here so that --help answers without loading TensorFlow
# (the server imports it); tests/test_cli.py checks that the two agree.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501
DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024
DEFAULT_REQUEST_SECONDS = 30.0
# The errors serve has always reported as one line "error: ..." (a narrower set than step_tf.cli.ERRORS).
SERVE_ERRORS = (ValueError, OSError, OverflowError)


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(prog="python -m step_tf.serve", description=__doc__.split("\n\n")[0])
    arguments.add_argument("--model_base_path", "--model-base-path", type=pathlib.Path,
                           help="folder of numbered versions (default: the shipped model, step_tf.pretrained)")
    arguments.add_argument("--model_name", "--model-name", help="name in the URLs (default: the base path's folder name)")
    arguments.add_argument("--rest_api_port", "--rest-api-port", "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free port)")
    arguments.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST}, this machine only)")
    arguments.add_argument("--num_versions", "--num-versions", type=int, default=1, help="how many of the newest versions to serve (default 1)")
    arguments.add_argument("--max_request_bytes", "--max-request-bytes", type=int, default=DEFAULT_MAX_REQUEST_BYTES, help="largest request body accepted")
    arguments.add_argument("--file_system_poll_wait_seconds", "--poll-seconds", type=float, default=1.0, help="seconds between looks for new versions (default 1)")
    arguments.add_argument("--request_timeout_seconds", "--request-timeout-seconds", type=float, default=DEFAULT_REQUEST_SECONDS,
                           help=f"seconds a client has to send a request head (from connecting or its last answer) and its body (default {DEFAULT_REQUEST_SECONDS:g})")
    add_verbose_flag(arguments)
    return arguments


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    quiet_tensorflow(args.verbose)
    with reported_errors(SERVE_ERRORS) as outcome:
        from step_tf.serving.server import serve  # TensorFlow loads here, after the arguments are checked

        if args.model_base_path is None:
            from step_tf.pretrained import default_model_base

            args.model_base_path = default_model_base()
        serve(
            args.model_base_path,
            model_name=args.model_name,
            host=args.host,
            port=args.rest_api_port,
            num_versions=args.num_versions,
            max_request_bytes=args.max_request_bytes,
            poll_seconds=args.file_system_poll_wait_seconds,
            request_seconds=args.request_timeout_seconds,
        )
    if outcome.failed:
        return ERROR_STATUS
    return 0


if __name__ == "__main__":
    sys.exit(main())
