from wso2patch.cli import main

main()
