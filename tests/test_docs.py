from pathlib import Path

from acctctl.models.docs import fields_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_field_reference_matches_the_models():
    # docs/fields.md is generated from the models; regenerate it when a field changes:
    #   python -m acctctl.models.docs > docs/fields.md
    assert (ROOT / "docs" / "fields.md").read_text() == fields_markdown()


def test_field_reference_lists_every_contract_key():
    text = fields_markdown()
    for key in ("number", "password", "pin", "first_name", "telephone", "notify_email",
                "number_translation", "credit_limit", "taxes", "rate_group", "role",
                "reseller", "sip_device", "valid_days", "expiry", "email_alerts"):
        assert f"| {key} |" in text
