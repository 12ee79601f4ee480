package io.vicinity.kernels;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/** The per-thread stack of open arenas that {@link AbstractTensor} registers with. */
public final class ArenaStack {
  private static final ThreadLocal<Deque<Scope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

  private ArenaStack() {}

  /** Opens a new innermost arena on the calling thread. */
  public static Arena open(String name) {
    Scope s = new Scope(name, Thread.currentThread());
    STACK.get().push(s);
    return s;
  }

  static void adopt(AbstractTensor t) {
    Scope s = STACK.get().peek();
    if (s != null) {
      s.add(t);
    }
  }

  static void forget(AbstractTensor t) {
    Scope s = t.owner;
    if (s != null) {
      s.remove(t);
    }
  }

  /** An arena: a set of tensors freed together. */
  static final class Scope implements Arena {
    private final String name;
    private final Thread thread;
    private final Set<AbstractTensor> tensors = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean closed;
    private boolean sealed;

    Scope(String name, Thread thread) {
      this.name = name;
      this.thread = thread;
    }

    synchronized void add(AbstractTensor t) {
      if (closed) {
        throw new IllegalStateException("arena '" + name + "' is closed");
      }
      tensors.add(t);
      t.owner = this;
    }

    synchronized void remove(AbstractTensor t) {
      tensors.remove(t);
      t.owner = null;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Tensor detach(Tensor t) {
      if (!(t instanceof AbstractTensor at) || at.owner != this) {
        throw new IllegalArgumentException("arena '" + name + "' does not own " + t);
      }
      remove(at);
      Deque<Scope> stack = STACK.get();
      boolean found = false;
      for (Scope s : stack) {
        if (found) {
          s.add(at);
          return t;
        }
        found = s == this;
      }
      return t; // no enclosing arena: the caller owns it now
    }

    @Override
    public Arena seal() {
      if (Thread.currentThread() != thread || STACK.get().peek() != this) {
        throw new IllegalStateException("arena '" + name + "' can only be sealed as the innermost arena of its thread");
      }
      STACK.get().pop();
      synchronized (this) {
        sealed = true;
      }
      return this;
    }

    @Override
    public synchronized int liveTensors() {
      return tensors.size();
    }

    @Override
    public void close() {
      List<AbstractTensor> toFree;
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
        toFree = new ArrayList<>(tensors);
        tensors.clear();
      }
      if (!sealed && Thread.currentThread() == thread) {
        Deque<Scope> stack = STACK.get();
        if (stack.peek() != this) {
          stack.remove(this);
          for (AbstractTensor t : toFree) {
            t.owner = null;
            t.close();
          }
          throw new IllegalStateException("arena '" + name + "' closed out of order");
        }
        stack.pop();
      }
      for (AbstractTensor t : toFree) {
        t.owner = null;
        t.close();
      }
    }
  }
}
