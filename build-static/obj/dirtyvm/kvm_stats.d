build-static/obj/dirtyvm/kvm_stats.o: src/dirtyvm/kvm_stats.c \
 src/dirtyvm/kvm_stats.h
src/dirtyvm/kvm_stats.h:
