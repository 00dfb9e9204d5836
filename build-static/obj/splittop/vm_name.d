build-static/obj/splittop/vm_name.o: src/splittop/vm_name.c \
 src/splittop/vm_name.h
src/splittop/vm_name.h:
