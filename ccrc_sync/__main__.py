from ccrc_sync.cli import main

raise SystemExit(main())
