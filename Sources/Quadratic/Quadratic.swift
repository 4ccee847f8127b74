// Question 1: gradient descent on the diagonal quadratic L(w) = ½ Σ aᵢ·wᵢ² (placeholder).
