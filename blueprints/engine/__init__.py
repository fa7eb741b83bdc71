"""The offline engine: run the real program under Pulumi mocks and keep the resource graph it registers."""
