from .reproduce import main

raise SystemExit(main())
