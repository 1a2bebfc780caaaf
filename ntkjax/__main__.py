import sys

from ntkjax.cli import main

sys.exit(main())
