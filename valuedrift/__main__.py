import sys

from valuedrift.cli.main import main

sys.exit(main())
