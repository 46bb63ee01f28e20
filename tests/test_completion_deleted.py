"""TAB offers only what a command can use: a soft-deleted reseller is not offered as
`--reseller`, and its number no longer selects the catalog entries it owned."""

from __future__ import annotations

from test_operator import _complete


def test_a_deleted_reseller_is_not_offered(cli, cli_env):
    live = cli.json("create", "reseller", "--first-name", "Live")["number"]
    gone = cli.json("create", "reseller", "--first-name", "Gone")["number"]
    assert cli("rategroup", "create", "silver", "--reseller", gone).exit_code == 0
    assert sorted(_complete(cli_env, "acctctl create customer --reseller ")) == sorted(
        [live, gone])
    assert _complete(cli_env, f"acctctl rategroup update --reseller {gone} ") == ["silver"]
    assert cli("rategroup", "delete", "silver", "--reseller", gone, "--yes").exit_code == 0
    assert cli("rategroup", "create", "silver", "--reseller", gone).exit_code == 0
    assert cli("account", "delete", gone, "--yes").exit_code == 4  # it owns "silver"
    assert cli("rategroup", "delete", "silver", "--reseller", gone, "--yes").exit_code == 0
    assert cli("account", "delete", gone, "--yes").exit_code == 0
    assert _complete(cli_env, "acctctl create customer --reseller ") == [live]
