"""python -m yibiaotong: the same CLI as the console script."""

from yibiaotong.cli import main

raise SystemExit(main())
