# eimza-agent (masaüstü yardımcı program) metinleri.

agent-about = eimza yardımcı programı: e-İmza kartınızla ilgili adımları kendi bilgisayarınızda güvenle yapar ve yenileme başvurunuzu bilgi işlem birimine bildirir.
