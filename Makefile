# vend: one binary, ./vend. See README.md.
#
#   make            build ./vend
#   make up         install build dependencies, build, run `vend up` on examples/
#   make check      install dependencies, build, run every test; ends "N passed, N failed"
#   make check-san  the same suite against an AddressSanitizer+UBSan build
#   make bench      benchmarks; they print measured figures
#   make fuzz       build libFuzzer targets (clang) into build-fuzz/

CC      ?= cc
PKGS     = libmicrohttpd libcurl jansson yaml-0.1 sqlite3 libsodium libcrypto libpcre2-8 libpq
BUILD   ?= build
OPT     ?= -O2
SAN     ?=
WARN     = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter \
           -Wmissing-prototypes -Wstrict-prototypes -Wvla -Wpointer-arith \
           $(if $(findstring clang,$(CC)),,-Wno-format-truncation)
CFLAGS  ?= $(OPT) -g
ALL_CFLAGS  = -std=gnu11 $(WARN) $(CFLAGS) $(SAN) -pthread
ALL_CPPFLAGS = -Isrc -D_GNU_SOURCE -include src/prelude.h $(CPPFLAGS) \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS     = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

LIB_SRC  = $(sort $(wildcard src/*/*.c))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/web_assets.o
# The portal (web/): plain files, embedded in the binary by a generated C file.
WEB_SRC  = $(sort $(wildcard web/*.html web/*.css web/*.js web/*.svg))
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC = $(sort $(wildcard tests/tools/*.c))
TOOL_BIN = $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY = $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/replay_%)
BENCH_SRC = $(sort $(wildcard bench/*.c))
BENCH_BIN = $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

ifeq ($(BUILD),build)
VEND = vend
else
VEND = $(BUILD)/vend
endif

all: $(VEND)

$(VEND): $(BUILD)/src/main.o $(BUILD)/libvend.a
	@echo "  LINK    $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/libvend.a: $(LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(BUILD)/gen/web_assets.c: $(WEB_SRC) scripts/embed-web.sh
	@mkdir -p $(dir $@)
	@echo "  EMBED   $(words $(WEB_SRC)) files of web/"
	@scripts/embed-web.sh $@ $(WEB_SRC)

$(BUILD)/gen/web_assets.o: $(BUILD)/gen/web_assets.c src/http/web.h
	@$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/tests/tap.o $(BUILD)/tests/testdb.o \
		$(BUILD)/tests/celrun.o $(BUILD)/tests/testproc.o $(BUILD)/libvend.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(ALL_CPPFLAGS) -Itests/unit $(ALL_CFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/tap.o: tests/unit/tap.c tests/unit/tap.h
	@mkdir -p $(dir $@)
	@$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/celrun.o: tests/unit/celrun.c tests/unit/celrun.h tests/unit/tap.h
	@mkdir -p $(dir $@)
	@$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/testproc.o: tests/unit/testproc.c tests/unit/testproc.h tests/unit/tap.h
	@mkdir -p $(dir $@)
	@$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/testdb.o: tests/unit/testdb.c tests/unit/testdb.h tests/unit/tap.h
	@mkdir -p $(dir $@)
	@$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/tools/%.c $(BUILD)/libvend.a
	@mkdir -p $(dir $@)
	@echo "  TOOL    $@"
	@$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

# A fuzz target built without libFuzzer: replays its committed corpus.
$(BUILD)/tests/replay_%: tests/fuzz/%.c tests/fuzz/replay.c $(BUILD)/libvend.a
	@mkdir -p $(dir $@)
	@echo "  REPLAY  $@"
	@$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/bench/benchutil.o $(BUILD)/libvend.a
	@mkdir -p $(dir $@)
	@echo "  BENCH   $@"
	@$(CC) $(ALL_CPPFLAGS) -Ibench/lib $(ALL_CFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/bench/benchutil.o: bench/lib/benchutil.c bench/lib/benchutil.h
	@mkdir -p $(dir $@)
	@$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

tests: $(UNIT_BIN) $(TOOL_BIN) $(FUZZ_REPLAY)

deps:
	@scripts/deps.sh

up: deps
	@$(MAKE) --no-print-directory all
	./vend up

# The benchmarks are built (not run) too, so a change that breaks one fails here.
check: deps
	@$(MAKE) --no-print-directory all tests $(BENCH_BIN)
	@scripts/run-tests.sh

check-san:
	@$(MAKE) --no-print-directory BUILD=build-san OPT=-O1 \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		build-san/vend tests
	@VEND_BIN=$(CURDIR)/build-san/vend UNIT_DIR=$(CURDIR)/build-san/tests \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		scripts/run-tests.sh

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@scripts/bench.sh

fuzz:
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang OPT=-O1 \
		SAN="-fsanitize=address,undefined,fuzzer-no-link" build-fuzz/libvend.a
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
		echo "fuzz target build-fuzz/$$n"; \
		clang $(ALL_CPPFLAGS) -O1 -g -fsanitize=address,undefined,fuzzer \
			-o build-fuzz/$$n $$f build-fuzz/libvend.a $(LIBS) || exit 1; done

clean:
	rm -rf build build-san build-fuzz vend

.PHONY: all deps up check check-san bench fuzz clean tests

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
