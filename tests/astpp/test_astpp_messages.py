"""Issue 16 on the astpp target: the fingerprint's refusal shows the URL as the user wrote it
(not PyMySQL's with acctctl's charset), and says "nothing was written" only to a command
that writes."""

from __future__ import annotations


def test_a_non_astpp_database_is_named_as_written_and_read_only_commands_wrote_nothing(
        astpp, astpp_config, db):
    with db.cursor() as cur:
        cur.execute("DROP TABLE `system`")
    db.commit()
    written = next(line.split('"')[1] for line in astpp_config.read_text().splitlines()
                   if line.startswith("url = "))
    for args, says_nothing_written in ((("account", "list"), False),
                                       (("account", "show", "1"), False),
                                       (("create", "customer", "--first-name", "Ada"), True)):
        result = astpp(*args)
        assert result.exit_code == 5, (args, result.stderr)
        assert f"error: {written} is not an ASTPP database" in result.stderr, result.stderr
        assert "pymysql" not in result.stderr and "charset" not in result.stderr
        assert ("nothing was written" in result.stderr) is says_nothing_written, (
            args, result.stderr)
