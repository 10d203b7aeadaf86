from pathlib import Path

import pytest

from bench.errors import ConfigError
from bench.suite import load_suite

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["smoke", "length_generalization", "in_distribution"])
def test_shipped_suites_load(name: str) -> None:
    suite = load_suite(REPO / "suites" / f"{name}.yaml")
    assert suite.name == name
    assert {t.task for t in suite.tasks} == {
        "word_single", "word_all", "speaker_onset", "diarization", "event_onset", "event_detection"}


def test_length_generalization_reaches_ten_minutes() -> None:
    suite = load_suite(REPO / "suites" / "length_generalization.yaml")
    assert max(max(t.durations) for t in suite.tasks) >= 600
    assert min(min(t.durations) for t in suite.tasks) <= 15


def _error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_suite(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return message


def test_malformed_yaml_names_the_file(tmp_path: Path) -> None:
    assert "malformed YAML" in _error(tmp_path, "name: [unclosed\n")


def test_unknown_method_names_the_field(tmp_path: Path) -> None:
    message = _error(tmp_path, "durations: [5]\nmethods: [oracle, nope]\ntasks: [word_all]\n")
    assert "methods[1]" in message and "'nope'" in message


def test_unknown_task_names_the_field(tmp_path: Path) -> None:
    message = _error(tmp_path, "durations: [5]\nmethods: [oracle]\ntasks: [{task: karaoke}]\n")
    assert "tasks[0].task" in message and "karaoke" in message


def test_bad_data_field_names_the_field(tmp_path: Path) -> None:
    message = _error(tmp_path, "durations: [5]\nmethods: [oracle]\ntasks: [{task: diarization, data: {overlap: high}}]\n")
    assert "tasks[0].data.overlap" in message
    message = _error(tmp_path, "durations: [5]\nmethods: [oracle]\ntasks: [{task: diarization, data: {colour: 1}}]\n")
    assert "tasks[0].data.colour" in message


def test_bad_durations(tmp_path: Path) -> None:
    assert "durations" in _error(tmp_path, "durations: [5, -1]\nmethods: [oracle]\ntasks: [word_all]\n")
    assert "tasks[0].durations" in _error(tmp_path, "methods: [oracle]\ntasks: [word_all]\n")


def test_unknown_top_level_field(tmp_path: Path) -> None:
    assert "metods" in _error(tmp_path, "durations: [5]\nmetods: [oracle]\nmethods: [oracle]\ntasks: [word_all]\n")


def test_examples_per_duration(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("durations: [5, 600]\nexamples: {5: 3, 600: 1}\nmethods: [oracle]\n"
                    "tasks: [word_all, {task: word_single, examples: 2}]\n")
    word_all, word_single = load_suite(path).tasks
    assert (word_all.examples_at(5), word_all.examples_at(600)) == (3, 1)
    assert (word_single.examples_at(5), word_single.examples_at(600)) == (2, 2)
    message = _error(tmp_path, "durations: [5, 600]\nexamples: {5: 3}\nmethods: [oracle]\ntasks: [word_all]\n")
    assert "tasks[0]: the suite's examples" in message and "600" in message
    message = _error(tmp_path, "durations: [5]\nmethods: [oracle]\ntasks: [{task: word_all, examples: {5: 0}}]\n")
    assert "tasks[0].examples.5" in message
    assert "keys must be durations" in _error(tmp_path, "durations: [5]\nexamples: {long: 1}\nmethods: [oracle]\n"
                                                         "tasks: [word_all]\n")


# --- bounds (issue 11, item 6) --------------------------------------------------------------

_ALIAS_BOMB = """durations: [5]
methods: [oracle]
tasks: [word_all]
method_options:
  oracle:
    a: &a [x, x, x, x, x, x, x, x, x, x]
    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
    d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
    e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
    f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
    g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
    h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
    i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


@pytest.mark.parametrize("text,field", [
    (_ALIAS_BOMB, "method_options: more than"),
    ("durations: [5]\nmethods: [oracle]\ntasks: [word_all]\nmethod_options: {oracle: &r {self: *r}}\n",
     "method_options: nested more than"),
    ("durations: [5]\nmethods: [oracle]\ntasks: [word_all]\nmethod_options: {oracle: {x: " + "[" * 40 + "]" * 40 + "}}\n",
     "method_options: nested more than"),
    ("durations: [1.0e+9]\nmethods: [oracle]\ntasks: [word_all]\n", "durations[0]: 1000000000.0 s is more than"),
    ("durations: [.inf]\nmethods: [oracle]\ntasks: [word_all]\n", "durations[0]: inf s is more than"),
    ("durations: [.nan]\nmethods: [oracle]\ntasks: [word_all]\n", "durations: expected"),
    ("durations: [5]\nexamples: 1000000000\nmethods: [oracle]\ntasks: [word_all]\n", "examples: expected a whole number from 1 to"),
    ("durations: [5]\nexamples: {5: 100000}\nmethods: [oracle]\ntasks: [word_all]\n", "examples.5: expected a whole number"),
    ("durations: [5]\nexamples: {1e12: 1}\nmethods: [oracle]\ntasks: [word_all]\n", "examples: keys must be durations"),
    ("durations: [80000]\nexamples: 10000\nmethods: [oracle]\ntasks: [word_all]\n", "h of generated audio"),
    ("durations: [5]\nmethods: [oracle]\ntasks: [{task: word_all, data: {pool_size: 1000000000}}]\n",
     "tasks[0].data.pool_size: 1000000000 is beyond"),
    ("durations: [5]\nmethods: [oracle]\ntasks: [{task: event_detection, data: {base_duration: .inf}}]\n",
     "tasks[0].data.base_duration: inf is beyond"),
    ("seed: 100000000000000000000000\ndurations: [5]\nmethods: [oracle]\ntasks: [word_all]\n", "seed: expected"),
    ("name: '..'\ndurations: [5]\nmethods: [oracle]\ntasks: [word_all]\n", "name: expected"),
    ("name: '.'\ndurations: [5]\nmethods: [oracle]\ntasks: [word_all]\n", "name: expected"),
    ("durations: [5]\nmethods: [oracle]\ntasks: [{task: [word_all]}]\n", "tasks[0].task: expected a task name"),
])
def test_suite_bounds_are_one_line_errors_naming_the_field(tmp_path: Path, text: str, field: str) -> None:
    assert field in _error(tmp_path, text)


def test_huge_suite_file_and_deep_yaml_are_refused(tmp_path: Path) -> None:
    assert "at most" in _error(tmp_path, "# " + "x" * 2_000_000 + "\n")
    assert "malformed YAML" in _error(tmp_path, "a: " + "[" * 5000 + "]" * 5000 + "\n")
