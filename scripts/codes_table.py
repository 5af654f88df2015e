"""Print the README's table of finding codes, generated from the one catalogue.

Usage: python scripts/codes_table.py   (paste between the README's codes markers)
"""

from ccrc_sync.schema.codes import codes_table

if __name__ == "__main__":
    print(codes_table())
