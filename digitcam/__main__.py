from digitcam.cli import main

main()
