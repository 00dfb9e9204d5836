build-static/obj/dirtyvm/vm.o: src/dirtyvm/vm.c src/dirtyvm/vm.h \
 src/dirtyvm/kvm_stats.h src/dirtyvm/../common/clock.h
src/dirtyvm/vm.h:
src/dirtyvm/kvm_stats.h:
src/dirtyvm/../common/clock.h:
