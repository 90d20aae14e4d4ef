from audience_prep.cli import main

main()
