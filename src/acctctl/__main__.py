from acctctl.cli import main

main()
