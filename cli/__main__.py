import sys

from robodojo.cli.main import main

sys.exit(main())
