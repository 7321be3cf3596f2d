from skillgit.cli import main

main()
