build-static/obj/dirtyvm/report.o: src/dirtyvm/report.c \
 src/dirtyvm/report.h src/dirtyvm/options.h src/dirtyvm/vm.h \
 src/dirtyvm/kvm_stats.h
src/dirtyvm/report.h:
src/dirtyvm/options.h:
src/dirtyvm/vm.h:
src/dirtyvm/kvm_stats.h:
