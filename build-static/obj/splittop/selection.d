build-static/obj/splittop/selection.o: src/splittop/selection.c \
 src/splittop/selection.h src/splittop/vm_table.h bpf/splittop.h
src/splittop/selection.h:
src/splittop/vm_table.h:
bpf/splittop.h:
