"""Backup and restore of the SBC's data folder (`/data`): the configuration, the
certificate, its key, the admin's extra roots and extra profiles, as one tar.gz.

- `archive`  the archive as bytes (no file system): what goes in, and reading one back
             safely (only known names, no links, no absolute paths or `..`, size limits)
- `restore`  checking a backup against the loader and the certificate checks before
             anything is replaced, then replacing the files atomically and applying
- `cli`      `sbc backup create|restore`
"""
