#!/usr/bin/env python
"""Django's manage.py; `kantoor` is the same command installed on the PATH."""

from kantoor.__main__ import main

if __name__ == "__main__":
    main()
