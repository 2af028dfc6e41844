"""Developer tools run from the command line; outside INSTALLED_APPS, never imported by apps."""
