build-static/obj/splittop/keys.o: src/splittop/keys.c src/splittop/keys.h
src/splittop/keys.h:
