from wso2patch.entry import main

main()
