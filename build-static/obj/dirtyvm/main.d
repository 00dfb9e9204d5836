build-static/obj/dirtyvm/main.o: src/dirtyvm/main.c \
 src/dirtyvm/../common/clock.h src/dirtyvm/host_params.h \
 src/dirtyvm/options.h src/dirtyvm/vm.h src/dirtyvm/kvm_stats.h \
 src/dirtyvm/report.h
src/dirtyvm/../common/clock.h:
src/dirtyvm/host_params.h:
src/dirtyvm/options.h:
src/dirtyvm/vm.h:
src/dirtyvm/kvm_stats.h:
src/dirtyvm/report.h:
