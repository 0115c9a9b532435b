# synack build. `make` builds the library and the synack command into build/;
# `make test` builds and runs every test and ends with "N passed, N failed".
# `make test SAN=1` (or `make asan`) does the same under ASan+UBSan.
CC      ?= cc
SAN     ?= 0
BUILD   ?= build
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
           -fPIC -Iinclude -Isrc
ifeq ($(SAN),1)
BUILD   := build/san
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
LDLIBS  += -lpthread -ldl
# AF_XDP (src/link/link_xdp.c) needs libxdp and libbpf (Debian: libxdp-dev libbpf-dev); without
# them the link is left out and synack_netdev_open_xdp() fails with ENOTSUP. HAVE_XDP=0 forces it.
HAVE_XDP ?= $(shell pkg-config --exists libxdp libbpf 2>/dev/null && echo 1 || echo 0)
ifeq ($(HAVE_XDP),1)
CFLAGS  += -DSYNACK_HAVE_XDP=1
LDLIBS  += $(shell pkg-config --libs libxdp libbpf)
endif

CORE_SRC := $(wildcard src/core/*.c)
LIB_SRC  := $(CORE_SRC) $(wildcard src/api/*.c src/link/*.c src/platform/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TOOL_SRC := $(wildcard tools/*.c)
TOOL_OBJ := $(TOOL_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(wildcard tests/harness/*.c tests/unit/*.c)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)
PD_SRC   := $(wildcard src/packetdrill/*.c)
PD_OBJ   := $(PD_SRC:%.c=$(BUILD)/obj/%.o)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all test asan clean bench check-core fuzz fuzz-smoke
PD_SO    := $(if $(PD_SRC),$(BUILD)/libsynack-packetdrill.so)
all: $(BUILD)/libsynack.a $(BUILD)/libsynack.so $(BUILD)/synack $(BUILD)/test-unit $(BENCH_BIN) $(PD_SO)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libsynack.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libsynack.so: $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The packetdrill shared-object adapter (issue 5): the stack and the adapter in one .so.
$(BUILD)/libsynack-packetdrill.so: $(PD_OBJ) $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/synack: $(TOOL_OBJ) $(BUILD)/libsynack.a
	$(CC) $(LDFLAGS) -o $@ $(TOOL_OBJ) $(BUILD)/libsynack.a $(LDLIBS)

$(BUILD)/test-unit: $(TEST_OBJ) $(BUILD)/libsynack.a
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(BUILD)/libsynack.a $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libsynack.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libsynack.a $(LDLIBS)

# The core must not reach the OS: no system headers beyond freestanding ones.
check-core:
	@! grep -nE '#include <(sys/|unistd|time\.h|stdio|fcntl|pthread|errno)' src/core/*.c src/core/*.h \
	  || (echo "src/core includes an OS header" && false)

test: all check-core
	@BUILD=$(BUILD) sh tests/run.sh

asan:
	$(MAKE) test SAN=1

bench: $(BENCH_BIN)
	@for b in $(BENCH_BIN); do echo "== $$b"; $$b || exit 1; done

# libFuzzer targets (clang): parsers, and the whole input path with time steps.
FUZZ_SRC := $(wildcard fuzz/*.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)
FUZZ_SECONDS ?= 20
fuzz: $(FUZZ_BIN)
build/fuzz/%: fuzz/%.c $(CORE_SRC) $(wildcard src/api/*.c) $(wildcard src/core/*.h include/synack/*.h)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude -Isrc \
	    $< $(CORE_SRC) $(wildcard src/api/*.c) -o $@
fuzz-smoke: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p build/fuzz/corpus-$$n; \
	  if $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 build/fuzz/corpus-$$n \
	      >build/fuzz/$$n.log 2>&1; then \
	    echo "PASS fuzz $$n: $$(grep -o 'number_of_executed_units: *[0-9]*' build/fuzz/$$n.log) in $(FUZZ_SECONDS) s"; \
	  else echo "FAIL fuzz $$n (build/fuzz/$$n.log):"; tail -n 30 build/fuzz/$$n.log; exit 1; fi; done

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(TOOL_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(PD_OBJ:.o=.d)
