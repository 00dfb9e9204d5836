build-static/obj/dirtyvm/options.o: src/dirtyvm/options.c \
 src/dirtyvm/options.h src/dirtyvm/vm.h src/dirtyvm/kvm_stats.h \
 src/dirtyvm/../common/parse.h
src/dirtyvm/options.h:
src/dirtyvm/vm.h:
src/dirtyvm/kvm_stats.h:
src/dirtyvm/../common/parse.h:
