# make look: see the demo's documents as a person would.
# Renders the bundled scenario (mediebild demo), then turns the busiest hour's digest PDF and the brief PDF
# into PNG pages (pdftoppm) and screenshots their HTML with headless Chromium (Debian's chromium).
# poppler-utils and chromium are installed with apt-get when missing (root, Debian). Images land in $(LOOK)/look/.
# Then the situation room: every page of `mediebild web` on a copy of the demo database, in Swedish and English,
# as an editor and as a reader (tests/web/screens.py, Playwright driving the same chromium), in $(LOOK)/look/web/.
LOOK ?= look-out
LOOK_HOUR ?=
CHROMIUM ?= chromium

.PHONY: look look-docs look-web look-tools

look-tools:
	@if ! command -v pdftoppm >/dev/null 2>&1 || ! command -v $(CHROMIUM) >/dev/null 2>&1; then \
	  echo "installing poppler-utils and chromium (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils chromium >/dev/null; \
	fi

look: look-docs look-web

look-docs: $(VENV)/.installed look-tools
	@test -f $(LOOK)/mediebild-demo.duckdb || $(BIN)/mediebild demo --out $(LOOK)
	@mkdir -p $(LOOK)/look
	@set -e; cd $(LOOK); \
	hour="$(LOOK_HOUR)"; \
	if [ -z "$$hour" ]; then \
	  hour=$$(for f in digest-*-sv-json-v*.json; do \
	    printf '%s %s\n' "$$($(abspath $(BIN))/python -c 'import json,sys; print(json.load(open(sys.argv[1]))["figures"]["current"]["items"])' $$f)" "$$f"; \
	  done | sort -n | tail -1 | sed -E 's/.*digest-([0-9T-]+)-sv-json.*/\1/'); \
	fi; \
	digest=$$(ls digest-$$hour-sv-html-v*.html | sort -V | tail -1); \
	brief=$$(ls brief-*-sv-html-v*.html | sort -V | tail -1); \
	for doc in $$digest $$brief; do \
	  base=$${doc%.html}; name=$$(echo $$base | sed -E 's/-html-v[0-9]+$$//'); \
	  pdftoppm -png -r 70 $$(echo $$base | sed 's/-html-/-pdf-/').pdf look/$$name-pdf; \
	  $(CHROMIUM) --headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
	    --window-size=900,2600 --screenshot=look/$$name-html.png file://$$PWD/$$doc >/dev/null 2>&1; \
	done; \
	echo "look at:"; ls -1 $$PWD/look/*.png

look-web: $(VENV)/.installed-test look-tools
	@test -f $(LOOK)/mediebild-demo.duckdb || $(BIN)/mediebild demo --out $(LOOK)
	@$(BIN)/python tests/web/screens.py --db $(LOOK)/mediebild-demo.duckdb --out $(LOOK)/look/web
