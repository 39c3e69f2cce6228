from triforce.cli import main

main()
