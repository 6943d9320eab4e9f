.PHONY: run test lint bench
run:  ## install what is missing and run web + worker + beat
	bash config/scripts/run.sh
test: ## install what the tests need and run every test
	bash config/scripts/test.sh
lint:
	.venv/bin/ruff check .
