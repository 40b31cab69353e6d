"""Profile groups (issue 13, item 1): ``tags`` in the config, ``profile add --tag``, ``profile tag``,
``profile list --group`` and ``--group TAG`` selecting profiles."""

from __future__ import annotations

import json
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from kraken_ops.cli.commands.profile import app
from kraken_ops.profiles.config import Config, Profile, read_config
from kraken_ops.profiles.errors import ConfigFileError, ProfileError
from kraken_ops.profiles.manage import tag_profile

SECRET = "c2VjcmV0LXZhbHVlLTEyMzQ="


def run(*args: str, input: str | None = None) -> object:
    return CliRunner().invoke(app, list(args), input=input)


def add(name: str, key: str, *extra: str) -> object:
    result = run("add", name, "--stdin", "-e", "paper", *extra, input=f"{key}\n{SECRET}\n")
    assert result.exit_code == 0, result.stderr
    return result


def test_profile_add_tag_writes_tags_to_the_config_file(isolated):
    add("bot1", "key-bot1", "--tag", "bots", "--tag", "eu", "--tag", "bots")
    assert read_config().get("bot1").tags == ("bots", "eu")
    assert tomllib.loads(isolated.read_text())["profiles"]["bot1"]["tags"] == ["bots", "eu"]


def test_profile_tag_adds_and_removes_tags(isolated):
    add("bot1", "key-bot1", "--tag", "bots")
    result = run("tag", "bot1", "eu", "us")
    assert result.exit_code == 0, result.stderr
    assert read_config().get("bot1").tags == ("bots", "eu", "us")
    result = run("tag", "bot1", "us", "bots", "--remove")
    assert result.exit_code == 0, result.stderr
    assert read_config().get("bot1").tags == ("eu",)
    assert "tags" in tomllib.loads(isolated.read_text())["profiles"]["bot1"]
    run("tag", "bot1", "eu", "--remove")
    assert "tags" not in tomllib.loads(isolated.read_text())["profiles"]["bot1"]  # no empty list left behind


def test_profile_tag_of_an_unknown_profile_changes_nothing(isolated):
    add("bot1", "key-bot1")
    before = isolated.read_bytes()
    result = run("tag", "nobody", "bots")
    assert result.exit_code == 3 and result.stderr.startswith("error: unknown profile 'nobody'")
    assert isolated.read_bytes() == before


@pytest.mark.parametrize("bad", ["has space", ".dot", "", "x" * 65, "é", "a/b"])
def test_a_bad_tag_is_refused_with_one_line_and_nothing_is_written(isolated, bad):
    add("bot1", "key-bot1")
    before = isolated.read_bytes()
    result = run("tag", "bot1", bad)
    assert result.exit_code == 2 and result.stderr.startswith("error: TAG")
    assert isolated.read_bytes() == before


def test_a_bad_tag_in_the_config_file_names_the_profile_and_line(isolated):
    isolated.parent.mkdir(parents=True)
    isolated.write_text('[profiles.bot1]\nenvironment = "paper"\ntags = ["ok", "not ok"]\n')
    with pytest.raises(ConfigFileError, match=r"line 1: profile 'bot1': tags: invalid tag 'not ok'"):
        read_config()
    isolated.write_text('[profiles.bot1]\nenvironment = "paper"\ntags = "bots"\n')
    with pytest.raises(ConfigFileError, match="tags must be a list"):
        read_config()


def test_profile_list_group_keeps_the_profiles_that_carry_any_of_the_tags(isolated):
    add("a", "key-a", "--tag", "bots")
    add("b", "key-b", "--tag", "eu")
    add("c", "key-c")
    listed = json.loads(run("list", "--group", "bots", "--group", "eu", "-o", "json").stdout)
    assert [row["name"] for row in listed] == ["a", "b"]
    assert listed[0]["tags"] == "bots"
    unknown = run("list", "--group", "nope")
    assert unknown.exit_code == 3 and "no profile carries the tag 'nope'; known tags: bots, eu" in unknown.stderr


def test_group_selection_is_the_union_of_tags_and_profiles_without_repeats():
    config = Config(path=None, profiles={  # type: ignore[arg-type]
        "a": Profile("a", tags=("bots", "eu")), "b": Profile("b", tags=("bots",)), "c": Profile("c", tags=("us",)), "d": Profile("d"),
    })
    assert config.in_groups(["bots"]) == ["a", "b"]
    assert config.in_groups(["eu", "us"]) == ["a", "c"]
    assert config.tags() == ["bots", "eu", "us"]
    with pytest.raises(ProfileError, match="known tags: bots, eu, us"):
        config.in_groups(["bots", "asia"])


def test_tag_profile_is_all_or_nothing(isolated):
    add("bot1", "key-bot1", "--tag", "bots")
    with pytest.raises(ProfileError):
        tag_profile("bot1", add=["fine", "not fine"])
    assert read_config().get("bot1").tags == ("bots",)


TAG = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(TAG, max_size=6))
def test_tags_survive_the_config_file_round_trip_in_order_without_repeats(tags):
    import tomli_w

    from kraken_ops.profiles.config import parse_document

    profile = Profile.from_table("bot1", {"environment": "paper", "tags": tags})
    text = tomli_w.dumps({"profiles": {"bot1": profile.to_table()}})
    again = parse_document(text, "config.toml").get("bot1")
    assert again.tags == tuple(dict.fromkeys(tags))


def test_a_paper_profile_is_stored_with_its_tags(isolated, tmp_path):
    from kraken_ops.profiles.manage import store_paper_profile

    store_paper_profile("paper1", "http://127.0.0.1:8787", "spot-key-1", SECRET, tags=["bots", "paper", "bots"])
    assert read_config().get("paper1").tags == ("bots", "paper")
    with pytest.raises(ProfileError):
        store_paper_profile("paper2", "http://127.0.0.1:8787", "spot-key-2", SECRET, tags=["no good"])
    assert "paper2" not in read_config().profiles


def test_a_bad_paper_tag_fails_before_the_exchange_is_started(isolated, tmp_path, monkeypatch):
    from kraken_ops.profiles import paper

    monkeypatch.setattr(paper, "ensure_exchange", lambda *a, **k: pytest.fail("the exchange was started"))
    with pytest.raises(ProfileError, match="invalid tag"):
        paper.add_paper_profile("paper1", state_dir=tmp_path, tags=["no good"])
