build-static/obj/splittop/self_stats.o: src/splittop/self_stats.c \
 src/splittop/self_stats.h bpf/splittop.h
src/splittop/self_stats.h:
bpf/splittop.h:
