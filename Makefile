# 一表通: `make run` serves the console, `make test` runs every test. Both set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PORT   ?= 8501

.PHONY: run test bench lint init system-deps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

init: $(STAMP)
	$(BIN)/yibiaotong init

run: init
	$(BIN)/streamlit run serve.py --server.port $(PORT)

# Browser tests need Debian's chromium and CJK fonts; report tests render Excel files with
# LibreOffice and look at page 1 with pdftoppm. Installed when missing (as root).
BROWSER_PACKAGES := chromium fonts-noto-cjk
OFFICE_PACKAGES := libreoffice-calc poppler-utils
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v soffice >/dev/null \
		|| ! command -v pdftoppm >/dev/null || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq \
			&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES) \
			&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(OFFICE_PACKAGES); \
		else \
			echo "请以 root 安装：apt-get install $(BROWSER_PACKAGES) $(OFFICE_PACKAGES)" >&2; exit 1; \
		fi; \
	fi

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/yibiaotong bench

clean:
	rm -rf $(VENV) .pytest_cache artifacts
