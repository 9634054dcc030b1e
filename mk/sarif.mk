# sarif-validate: checks `scopec check --format=sarif` output with the SARIF
# project's own validator (schema and rules), installed from the npm
# registry into build/.  Not part of `make test` (a large download); run it
# when touching compiler/report.c.
SARIF_TOOL_DIR := $(B)/sarif-tool
SARIF_MULTITOOL := $(SARIF_TOOL_DIR)/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool

$(SARIF_MULTITOOL):
	@mkdir -p $(SARIF_TOOL_DIR)
	cd $(SARIF_TOOL_DIR) && npm install --no-audit --no-fund --silent @microsoft/sarif-multitool
	chmod u+x $@

sarif-validate: scopec $(SARIF_MULTITOOL)
	./scopec check --format=sarif tests/cases/lint/triage-widened.scope > $(B)/lint.sarif; test $$? -le 1
	./scopec check --format=sarif tests/cases/errors/multiple-errors.scope > $(B)/errors.sarif; test $$? -le 1
	./scopec check --format=sarif tests/cases/lint/missing-comma.scope tests/cases/lint/shallow-deny.scope \
	  tests/cases/lint/unknown-denies.scope > $(B)/fixits.sarif; test $$? -le 1
	for f in $(B)/lint.sarif $(B)/errors.sarif $(B)/fixits.sarif; do \
	  $(SARIF_MULTITOOL) validate $$f > $(B)/sarif-validate.log 2>&1; cat $(B)/sarif-validate.log; \
	  if grep -q ': error ' $(B)/sarif-validate.log; then exit 1; fi; \
	done

.PHONY: sarif-validate
