"""Built-in connection profiles (YAML data files read by `sbc.config.profiles`)."""
