"""Settings and where they come from: the config file, profiles and their precedence, the
session with the API, wrangler files, builds named by their dashboard URL.
"""
