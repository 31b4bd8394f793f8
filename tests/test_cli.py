"""The shared argument types: accepted forms and the usage errors argparse prints."""

import argparse

import pytest

from step_tf.cli import fractions, int_list, name_list


def test_int_list():
    assert int_list("1,2,2") == (1, 2, 2)
    assert int_list("7") == (7,)
    with pytest.raises(argparse.ArgumentTypeError, match="whole numbers"):
        int_list("1,two")


def test_name_list_drops_blanks_and_needs_one_name():
    assert name_list(" angry, neutral,,happy ") == ("angry", "neutral", "happy")
    with pytest.raises(argparse.ArgumentTypeError, match="comma-separated names"):
        name_list(" , ")


@pytest.mark.parametrize("text", ["0.7,0.3", "0.7,0.2,x", "0.5,0.2,0.2,0.1"])
def test_fractions_need_three_numbers(text):
    assert fractions("0.6,0.3,0.1") == (0.6, 0.3, 0.1)
    with pytest.raises(argparse.ArgumentTypeError, match="three comma-separated fractions"):
        fractions(text)


# --- step-tf, --help without TensorFlow, --verbose, the shared error report -----------------------

import ast  # noqa: E402
import os  # noqa: E402
import pathlib  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from step_tf import __main__ as step_tf_main  # noqa: E402
from step_tf import __version__  # noqa: E402
from step_tf.cli import ERROR_STATUS, LOGS, quiet_tensorflow, reported_errors, verbose_parts  # noqa: E402

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]


def _python(code: str, *options: str, timeout: float = 120) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    environment.pop("TF_CPP_MIN_LOG_LEVEL", None)  # conftest sets it; these runs check what the tools do alone
    return subprocess.run([sys.executable, *options, "-c", code], cwd=REPOSITORY, env=environment,
                          capture_output=True, text=True, timeout=timeout)


def _cli_modules() -> set[str]:
    """The modules step_tf/NAME.py that are command-line tools (a main() run under ``__name__ == "__main__"``)."""
    names = set()
    for path in (REPOSITORY / "step_tf").glob("*.py"):
        if path.name.startswith("_"):
            continue
        tree = ast.parse(path.read_text())
        if any(isinstance(node, ast.If) and "__main__" in ast.unparse(node.test) for node in tree.body):
            names.add(path.stem)
    return names


def test_step_tf_knows_every_command_line_tool():
    assert set(step_tf_main.COMMANDS) == _cli_modules()
    assert all(module == f"step_tf.{name}" for name, (module, _) in step_tf_main.COMMANDS.items())


def test_step_tf_help_lists_the_commands_and_version_prints_it(capsys):
    assert step_tf_main.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name, (_, summary) in step_tf_main.COMMANDS.items():
        assert f"  {name}" in out and summary in out
    assert step_tf_main.main(["--version"]) == 0
    assert capsys.readouterr().out == f"step-tf {__version__}\n"


def test_step_tf_without_a_command_or_with_an_unknown_one_is_a_usage_error(capsys):
    assert step_tf_main.main([]) == 2
    assert "commands:" in capsys.readouterr().err
    assert step_tf_main.main(["fitt"]) == 2
    assert "unknown command 'fitt'" in capsys.readouterr().err


def test_step_tf_runs_the_commands_main_with_the_rest_of_the_line(monkeypatch):
    import step_tf.evaluate

    seen = []
    monkeypatch.setattr(step_tf.evaluate, "main", lambda argv: seen.append(argv) or 7)
    assert step_tf_main.main(["evaluate", "runs/x", "--split", "all"]) == 7
    assert seen == [["runs/x", "--split", "all"]]


def test_step_tf_command_help_and_usage_errors_return_argparse_status(capsys):
    assert step_tf_main.main(["fit", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: step-tf fit ") and "--epochs" in out
    assert step_tf_main.main(["fit", "--epochs", "many"]) == 2
    assert "invalid int value" in capsys.readouterr().err
    assert step_tf_main.main(["help", "export"]) == 0
    assert "--name" in capsys.readouterr().out
    import argparse

    assert argparse.ArgumentParser(prog="python -m step_tf.fit").prog == "python -m step_tf.fit"  # only while dispatching


def test_step_tf_help_does_not_import_tensorflow():
    result = _python("import sys, runpy; sys.argv = ['step-tf', '--help']\n"
                     "try:\n    runpy.run_module('step_tf', run_name='__main__')\nexcept SystemExit as stop:\n    code = stop.code\n"
                     "print('tensorflow loaded:', 'tensorflow' in sys.modules, 'exit', code)")
    assert result.returncode == 0, result.stderr
    assert "commands:" in result.stdout and "serve" in result.stdout
    assert "tensorflow loaded: False exit 0" in result.stdout


@pytest.mark.parametrize("command", [[name] for name in sorted(step_tf_main.COMMANDS)] + [["video", "extract"]], ids=" ".join)
def test_every_tools_help_answers_quickly_without_tensorflow(command):
    started = time.monotonic()
    result = _python(f"import sys\nfrom step_tf.__main__ import main\ncode = main([*{command!r}, '--help'])\n"
                     "print('tensorflow loaded:', 'tensorflow' in sys.modules, 'exit', code)")
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: ")
    assert "--verbose" in result.stdout
    assert "tensorflow loaded: False exit 0" in result.stdout
    assert seconds < 20  # TensorFlow alone takes several seconds to import; --help takes a fraction of one


def test_serves_help_defaults_are_the_servers():
    from step_tf import serve
    from step_tf.serving import server

    for name in ("DEFAULT_HOST", "DEFAULT_PORT", "DEFAULT_MAX_REQUEST_BYTES", "DEFAULT_REQUEST_SECONDS"):
        assert getattr(serve, name) == getattr(server, name), name


def test_reported_errors_prints_one_line_and_lets_other_errors_through(capsys):
    with reported_errors() as outcome:
        raise ValueError("bad input")
    assert outcome.failed and ERROR_STATUS == 2
    assert capsys.readouterr().err == "error: bad input\n"
    with reported_errors() as outcome:
        pass
    assert not outcome.failed
    with pytest.raises(KeyError):
        with reported_errors():
            raise KeyError("not ours")
    with pytest.raises(MemoryError):
        with reported_errors((ValueError,)):
            raise MemoryError()


def test_verbose_alone_shows_logs_and_with_a_level_sets_keras_verbosity():
    from step_tf import compare, fit

    assert verbose_parts(fit.parser().parse_args(["--verbose"]).verbose) == (True, None)
    assert verbose_parts(fit.parser().parse_args(["--verbose", "0"]).verbose) == (False, 0)
    assert verbose_parts(fit.parser().parse_args([]).verbose) == (False, None)
    assert compare.parser().parse_args([]).verbose == 0
    assert compare.parser().parse_args(["--verbose"]).verbose is LOGS
    with pytest.raises(SystemExit):
        fit.parser().parse_args(["--verbose", "3"])


def test_tensorflows_start_up_lines_are_hidden_unless_verbose():
    code = ("import os\nfrom step_tf.cli import quiet_tensorflow\nquiet_tensorflow({verbose})\nimport tensorflow as tf\n"
            "tf.constant(1.0).numpy()\nprint(os.environ.get('TF_CPP_MIN_LOG_LEVEL'), os.environ.get('TF_ENABLE_ONEDNN_OPTS'))")
    quiet = _python(code.format(verbose=False))
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.split() == ["2", "None"]  # logging only: oneDNN (numerics) untouched
    for noise in ("absl::InitializeLog", "oneDNN custom operations", "cpu_feature_guard"):
        assert noise not in quiet.stderr
    verbose = _python(code.format(verbose=True))
    assert verbose.returncode == 0, verbose.stderr
    assert verbose.stdout.split() == ["None", "None"]


def test_quiet_tensorflow_does_not_touch_a_process_that_already_imported_it(monkeypatch):
    import tensorflow  # noqa: F401

    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    before = list(sys.meta_path)
    quiet_tensorflow(False)
    assert "TF_CPP_MIN_LOG_LEVEL" not in os.environ and sys.meta_path == before
