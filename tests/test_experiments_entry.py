"""``python -m experiments``: one entry for every experiment. ``--help`` lists the four commands,
each command reaches its own experiment's parser (its options and its prog), ``strategies`` is
``poisoning --strategies``, and with no command (options only) it is ``experiments.reproduce`` as
before. Only parsers run here (the experiments themselves have their own tests)."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return subprocess.run([sys.executable, "-m", "experiments", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_help_lists_every_command():
    r = run("--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: python -m experiments") and "``" not in r.stdout
    for command in ("reproduce", "poisoning", "strategies", "market"):
        assert f"\n  {command} " in r.stdout, command


@pytest.mark.parametrize("command,prog,option", [
    ("reproduce", "experiments.reproduce", "--seed"),
    ("poisoning", "experiments.poisoning", "--strategies"),
    ("market", "experiments.market", "--seeds"),
])
def test_each_command_reaches_its_experiment(command, prog, option):
    r = run(command, "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"usage: python -m {prog}") and option in r.stdout


def test_strategies_is_poisoning_with_strategies_and_passes_options_on():
    r = run("strategies", "--no-such-option")
    assert r.returncode == 2
    assert "python -m experiments.poisoning" in r.stderr and "--no-such-option" in r.stderr


def test_without_a_command_it_is_reproduce_with_the_options():
    r = run("--no-such-option")
    assert r.returncode == 2 and r.stderr.startswith("usage: python -m experiments.reproduce"), r.stderr
    assert "--no-such-option" in r.stderr


def test_an_unknown_command_is_refused_with_the_list():
    r = run("bogus")
    assert r.returncode == 2
    assert "invalid choice: 'bogus'" in r.stderr and "market" in r.stderr


def test_no_arguments_at_all_run_reproduce_with_none(monkeypatch):
    import experiments.reproduce
    from experiments.__main__ import main

    seen = []
    monkeypatch.setattr(experiments.reproduce, "main", lambda argv=None: seen.append(argv) or 0)
    assert main([]) == 0 and seen == [[]]
    assert main(["reproduce", "--quick"]) == 0 and seen[-1] == ["--quick"]
