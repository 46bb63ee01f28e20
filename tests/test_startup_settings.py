"""Start-up (issue 20): the settings are read on every command without pydantic. config.py's
sections are plain classes with their own rules, so a read builds no pydantic model at all
(before, the eight settings models cost it about 150 ms of CPU); the rules keep pydantic's
wording, which the messages quote. Timings: benchmarks/startup.py."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.test_startup_imports import loaded_modules, under

from acctctl import config
from acctctl.errors import ConfigError

#: What building a pydantic model (or the field rules' pydantic types) imports.
PYDANTIC_MODELS = ("pydantic.main", "pydantic.fields", "pydantic.types", "annotated_types",
                   "pydantic._internal._model_construction", "acctctl.models.rules")


def test_a_read_builds_no_pydantic_model(db_url, tmp_path):
    config_file = tmp_path / "acctctl.toml"
    config_file.write_text('[numbers]\nlength = 12\n[defaults]\ncountry = "DE"\n'
                           'low_balance_alert = "2.50"\n')
    env = {"HOME": str(tmp_path), "ACCTCTL_DATABASE_URL": db_url,
           "ACCTCTL_CONFIG": str(config_file)}
    modules, output = loaded_modules("account", "list", "-o", "json", env=env)
    assert output.strip().startswith("["), output
    assert under(modules, PYDANTIC_MODELS) == []


def test_config_show_is_the_validated_document(tmp_path):
    """The values come back typed and normalised as before: the reference codes through the
    account rules, the decimal from a string, the identity stripped."""
    config_file = tmp_path / "c.toml"
    config_file.write_text('[defaults]\ncountry = "de"\ncurrency = "eur"\ntaxes = ["vat"]\n'
                           'low_balance_alert = " 1_000 "\n[numbers]\nprefix = "7"\n')
    loaded = config.load_settings(str(config_file), env={}, cwd=tmp_path)
    defaults = loaded.settings.defaults
    assert (defaults.country, defaults.currency, defaults.taxes) == ("DE", "EUR", ["vat"])
    assert defaults.low_balance_alert == Decimal(1000)
    assert defaults.model_fields_set == {"country", "currency", "taxes", "low_balance_alert"}
    assert loaded.settings.numbers.model_fields_set == {"prefix"}
    assert config.effective_settings_dict(loaded)["defaults"]["low_balance_alert"] == 1000
    assert config.Settings() == config.Settings()
    assert config.Settings(numbers={"length": 12}) != config.Settings()


@pytest.mark.parametrize("text, expected", [
    ("[defaults]\nlow_balance_alert = true\n", "2: defaults.low_balance_alert: Decimal input "
     "should be an integer, float, string or Decimal object"),
    ("[defaults]\nlow_balance_alert = \"abc\"\n",
     "2: defaults.low_balance_alert: Input should be a valid decimal"),
    ("[defaults]\nlow_balance_alert = inf\n",
     "2: defaults.low_balance_alert: Input should be a finite number"),
    ("[defaults]\ntaxes = [\"a\", 1, true]\n", "2: defaults.taxes.1: Input should be a valid "
     "string\n{path}:2: defaults.taxes.2: Input should be a valid string"),
    ("[ledger]\nidentity = \"" + "x" * 201 + "\"\n",
     "2: ledger.identity: String should have at most 200 characters"),
    ("[[registrars]]\nname = 5\n", "1: registrars.0.kind: Field required\n{path}:1: "
     "registrars.0.url: Field required\n{path}:1: registrars.0.domain: Field required\n"
     "{path}:2: registrars.0.name: Input should be a valid string"),
    ("registrars = [5]\n",
     "1: registrars.0: Input should be a valid dictionary or instance of RegistrarSettings"),
    ("[profiles]\nx = 5\n", "2: profiles.x: Input should be a valid dictionary"),
    ("[passwords]\nhash_memory_kib = 1024\nhash_parallelism = 200\n",
     "3: passwords.hash_parallelism: must be at most passwords.hash_memory_kib / 8 (128)"),
    ("[numbers]\nlength = true\nprefix = \"12345678901\"\n",
     "2: numbers.length: Input should be a valid integer"),
])
def test_every_rule_keeps_its_message(tmp_path, text, expected):
    """pydantic's wording, rule by rule, and the next key's checks see only the keys that
    passed (numbers.prefix is not compared with a length that failed)."""
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        config.load_settings(str(path), env={}, cwd=tmp_path)
    assert str(caught.value) == f"{path}:" + expected.format(path=path)


def test_a_section_built_in_code_is_checked_by_the_same_rules():
    with pytest.raises(ValueError, match="pin_length: Input should be greater than or equal"):
        config.Settings(numbers={"pin_length": 3})
    with pytest.raises(ValueError, match="must be shorter than numbers.length"):
        config.NumbersSettings.model_validate({"length": 3, "prefix": "123"})
    numbers = config.NumbersSettings.model_validate({"length": 12})
    copy = config.Settings().model_copy(update={"numbers": numbers})
    assert copy.numbers.length == 12 and "numbers" in copy.model_fields_set
